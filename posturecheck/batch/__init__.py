"""batch layer: the ``analyze`` driver.

``run`` (analyze_paths: plan, detect in a pool, judge in order, write, index) over ``pool``
(DetectorPool protocol, jobs and segments, the local thread engine), ``parallel`` (a generic
ordered scheduler), ``options``, ``outcome``, ``image``, ``resume`` and ``progress``.
"""
