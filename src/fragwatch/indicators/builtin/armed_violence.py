from fragwatch.indicators.families import DecayedEventIndicator
from fragwatch.indicators.registry import register


@register
class ArmedViolence(DecayedEventIndicator):
    code = "armed_violence"
    name = "Armed attacks and clashes"
    dimension = "security"
    unit = "decayed severity points"
    direction = +1
    goalposts = (0.0, 10.0)
    definition = (
        "Armed attacks, clashes, suicide bombings and riots reported inside the country,"
        " weighted by kind and fatalities and fading with a one-year half-life. Reports see"
        " these events earlier than annual death tallies do. 10 points (a deadly attack and a"
        " deadly clash in the same season) is the fragile goalpost."
    )
    sources = "ICG 2011 and 2016, EPRS, Foreign Intrigue"
    defaults = {
        "severity": {"armed_attack": 2.0, "armed_clash": 2.0, "suicide_bombing": 3.0, "riot": 1.0},
        "half_life_days": 365.0,
        "fatality_factor": 0.5,
        "staleness_days": 1095,
    }
