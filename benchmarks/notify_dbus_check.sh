#!/bin/sh
# End-to-end check of desktop notifications on Linux without a desktop: a private D-Bus session,
# the dunst notification daemon under Xvfb, and posturecheck's Notifier (auto backend, then the
# notify-send fallback). Prints what dunst received.
#   apt-get install -y xvfb dbus-x11 dunst libnotify-bin
#   sh benchmarks/notify_dbus_check.sh
set -eu
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] || [ -z "${DISPLAY:-}" ]; then
    exec xvfb-run -a dbus-run-session -- sh "$0" "$@"
fi
PY="${PYTHON:-$(dirname "$0")/../.venv/bin/python}"
LOG="$(mktemp)"
dunst -print >"$LOG" 2>&1 &
DUNST=$!
sleep 1.5
for mode in auto notify-send; do
    MODE=$mode "$PY" - <<'PYEOF'
import os, sys
if os.environ["MODE"] == "notify-send":  # hide the optional libraries: use the command fallback
    sys.modules["desktop_notifier"] = None
    sys.modules["plyer"] = None
from posturecheck.adapters.notify import Notifier
from posturecheck.core.types import Alert
alert = Alert(kind="neck", t_ms=90_000, start_ms=30_000, severity="poor", title="Head dropped",
              message="head height 0.12 for 1 min", risk_factor="Poor Posture and Ergonomics",
              advice="Raise the screen to eye level.")
n = Notifier(emit=lambda s: None, desktop="auto", background=False)
print(f"{os.environ['MODE']}: backend {n.desktop_name}")
n.notify(alert)
PYEOF
done
sleep 0.5
kill "$DUNST" 2>/dev/null || true
echo "dunst received:"
grep -E "appname|summary" "$LOG"
N=$(grep -c "summary: 'Head dropped (1 min)'" "$LOG" || true)
rm -f "$LOG"
[ "$N" -eq 2 ] && echo "OK: 2 notifications delivered" || { echo "FAILED: $N of 2 delivered"; exit 1; }
