"""Risk factors and prevention advice for each alert kind.

The risk factors and the prevention headings are quoted exactly from the article
"Back Spasms: Causes, Symptoms, and Treatment" (the project's seed document); the advice text is
our own wording of what those headings mean at a desk. The article itself gives headings, not
numbers: every threshold comes from the standards in ``docs/thresholds.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCE_TITLE = "Back Spasms: Causes, Symptoms, and Treatment"
"""Title of the seed article the risk factors and advice headings come from."""

CAUTION = (
    "posturecheck measures posture; it does not diagnose anything. As the source article "
    f'("{SOURCE_TITLE}") puts it: for an accurate diagnosis and tailored treatment plan it is '
    "always best to consult a healthcare professional directly."
)
"""The caution every report and summary carries."""

# Risk factors, exactly as the article names them (section in brackets).
POOR_POSTURE = "Poor Posture and Ergonomics"  # Causes of Back Spasms
SEDENTARY = "Sedentary Lifestyle"  # Causes of Back Spasms
MUSCLE_STRAIN = "Muscle Strain and Injury"  # Causes of Back Spasms
OCCUPATION = "Occupation and Lifestyle"  # Risk Factors for Back Spasms
STRESS = "Stress"  # addressed by "Stress Management" and "Stress Reduction Techniques"

RISK_FACTORS: dict[str, str] = {
    POOR_POSTURE: "Causes of Back Spasms",
    MUSCLE_STRAIN: "Causes of Back Spasms",
    SEDENTARY: "Causes of Back Spasms",
    OCCUPATION: "Risk Factors for Back Spasms",
    STRESS: (
        "Preventing Back (Stress Management); Lifestyle Modifications (Stress Reduction Techniques)"
    ),
}
"""Risk factor -> the article's section it comes from."""

# Prevention / lifestyle headings, exactly as the article names them.
GOOD_POSTURE = "Maintaining Good Posture"
WORKSTATION = "Ergonomic Workstation Setup"
EXERCISE = "Regular Exercise and Strengthening of Core Muscles"
STRESS_MANAGEMENT = "Stress Management"
STRESS_REDUCTION = "Stress Reduction Techniques"


@dataclass(frozen=True, slots=True)
class Advice:
    """What an alert kind means and what to do about it.

    Attributes:
        kind: alert kind.
        risk_factor: the article's risk factor this matches.
        prevention: the article's prevention headings that apply.
        text: our words: what to change, concretely, at a desk.
        source: the article's title.
    """

    kind: str
    risk_factor: str
    prevention: tuple[str, ...]
    text: str
    source: str = SOURCE_TITLE

    @property
    def line(self) -> str:
        """One line for alerts and reports: advice, the headings it follows, the source."""
        heads = "; ".join(f'"{h}"' for h in self.prevention)
        return f'{self.text} (prevention: {heads}, from "{self.source}")'


_POSTURE: dict[str, Advice] = {
    "neck": Advice(
        "neck",
        POOR_POSTURE,
        (GOOD_POSTURE, WORKSTATION),
        "Bring your head back over your shoulders and raise the screen so its top is at or just "
        "below eye level (a laptop needs a stand and a separate keyboard).",
    ),
    "trunk": Advice(
        "trunk",
        POOR_POSTURE,
        (GOOD_POSTURE, WORKSTATION),
        "Sit back with your hips deep in the seat and let the backrest support your lower back; "
        "bring keyboard and screen close enough that you need not bend toward them.",
    ),
    "lateral": Advice(
        "lateral",
        POOR_POSTURE,
        (GOOD_POSTURE, WORKSTATION),
        "Sit centred with your weight even on both hips and both forearms supported; put what "
        "you reach for often straight in front of you.",
    ),
    "lean_in": Advice(
        "lean_in",
        POOR_POSTURE,
        (WORKSTATION, GOOD_POSTURE),
        "Sit back and bring the screen to you instead: about an arm's length away, with text "
        "large enough to read without leaning in.",
    ),
    "arms": Advice(
        "arms",
        POOR_POSTURE,
        (WORKSTATION,),
        "Adjust chair or desk height so your elbows stay close to your body at about 90-120 "
        "degrees, forearms roughly level with the keyboard.",
    ),
    "hip": Advice(
        "hip",
        POOR_POSTURE,
        (WORKSTATION, GOOD_POSTURE),
        "Keep hips and knees at about the same height, feet flat on the floor or a footrest, "
        "back against the backrest.",
    ),
}

_HOLDING_TEXT = (
    "You have held this bent posture longer than ISO 11226's acceptable holding time: "
    "straighten up and move for a moment so the muscles can recover."
)

_OTHER: dict[str, Advice] = {
    "shoulders": Advice(
        "shoulders",
        STRESS,
        (STRESS_MANAGEMENT, STRESS_REDUCTION),
        "Let your shoulders drop and breathe out slowly; raised shoulders are often a sign of "
        "tension, and a short relaxation or breathing pause helps.",
    ),
    "break_due": Advice(
        "break_due",
        SEDENTARY,
        (EXERCISE,),
        "Stand up, walk and stretch for a few minutes; regular movement and core-strengthening "
        "exercise keep the back resilient.",
    ),
    "static_posture": Advice(
        "static_posture",
        OCCUPATION,
        (GOOD_POSTURE, EXERCISE),
        "Change position: shift your weight, stretch your neck and back or stand for a moment; "
        "desk work that holds one posture tires the same muscles all day.",
    ),
}

ADVICE: dict[str, Advice] = {**_POSTURE, **_OTHER}
"""Alert kind -> advice (for not-acceptable postures and the temporal reminders)."""

KIND_TITLES: dict[str, str] = {
    "neck": "Head and neck",
    "trunk": "Back (trunk)",
    "lateral": "Leaning or tilting sideways",
    "lean_in": "Leaning toward the screen",
    "shoulders": "Raised shoulders",
    "arms": "Arms and elbows",
    "hip": "Hips",
    "break_due": "Time for a break",
    "static_posture": "Change position",
}


def advice_for(kind: str, *, holding: bool = False) -> Advice:
    """The advice for an alert kind.

    Args:
        kind: alert kind (``metrics.METRICS[...].kind``, ``"break_due"`` or
            ``"static_posture"``); unknown kinds (user-defined in the config) get the general
            posture advice.
        holding: True when the alert is an ISO 11226 holding-time exceedance (a posture in the
            *conditional* band held too long): the risk factor is then muscle strain from static
            load rather than the posture itself.
    """
    base = ADVICE.get(kind)
    if base is None:
        base = Advice(
            kind,
            POOR_POSTURE,
            (GOOD_POSTURE, WORKSTATION),
            "Return to a neutral, supported sitting posture.",
        )
    if holding and kind in _POSTURE:
        return Advice(kind, MUSCLE_STRAIN, (GOOD_POSTURE, EXERCISE), f"{_HOLDING_TEXT} {base.text}")
    return base


def risk_factor_for_kind(kind: str) -> str:
    """The risk factor a metric kind's time out of band counts toward in summaries."""
    return advice_for(kind).risk_factor


ALERT_TIP_CHARS = 90
"""The longest tip a one-line alert carries (terminal line, window banner)."""


def short_tip(advice: str, limit: int = ALERT_TIP_CHARS) -> str:
    """The advice's first sentence without its citation, cut at a word to ``limit`` chars."""
    text = advice.split(" (prevention:", 1)[0].split(" (source:", 1)[0].strip()
    first = text.split(". ", 1)[0].rstrip(".")
    if len(first) > limit:
        first = first[: limit - 1].rsplit(" ", 1)[0] + "…"
    return first
