"""Writes on cases. ``engine`` is the one place a case changes state; the other modules are its operations:
``intake`` (收集), ``triage`` (受理/驳回/分类/并案), ``dispatch`` (交办/吹哨/报到/反馈/退单/延期/督办/评价),
``closing`` (核查/回访/重办), ``escalation`` (升级与超时巡检)."""
