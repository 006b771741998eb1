from fragwatch.indicators.families import DecayedEventIndicator
from fragwatch.indicators.registry import register


@register
class BorderIncidents(DecayedEventIndicator):
    code = "border_incidents"
    name = "Border incidents"
    dimension = "security"
    unit = "decayed severity points"
    direction = +1
    goalposts = (0.0, 6.0)
    definition = (
        "Raids on border posts, abductions of border guards and clashes at the border, weighted"
        " by kind and fatalities and fading with a one-year half-life. They test a border the"
        " reports call 'the weakest link in Central Asia's security'. 6 points (two deadly"
        " raids within a year) is the fragile goalpost."
    )
    sources = "IWPR (2006), Foreign Intrigue (2015)"
    defaults = {
        "severity": {"border_raid": 3.0, "border_clash": 2.0, "border_abduction": 2.0},
        "half_life_days": 365.0,
        "fatality_factor": 0.5,
        "staleness_days": 1095,
    }
