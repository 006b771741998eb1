from fragwatch.indicators.families import DecayedEventIndicator
from fragwatch.indicators.registry import register


@register
class SecurityEliteDefections(DecayedEventIndicator):
    code = "elite_defections"
    name = "Security-elite defections"
    dimension = "political"
    unit = "decayed severity points"
    direction = +1
    goalposts = (0.0, 6.0)
    definition = (
        "Defections or mutinies of senior security officials, fading with an 18-month"
        " half-life. 'Crumbling loyalties' inside the security apparatus mean the regime may no"
        " longer know whom to trust. 6 points (two senior defections within a year) is the"
        " fragile goalpost."
    )
    sources = "ICG Briefing 78, ICG op-ed, EPRS, Foreign Intrigue"
    defaults = {
        "severity": {"security_defection": 3.0},
        "half_life_days": 548.0,
        "fatality_factor": 0.0,
        "staleness_days": 1095,
    }
