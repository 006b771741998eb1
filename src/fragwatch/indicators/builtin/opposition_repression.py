from fragwatch.indicators.families import DecayedEventIndicator
from fragwatch.indicators.registry import register


@register
class OppositionRepression(DecayedEventIndicator):
    code = "opposition_repression"
    name = "Opposition bans and repression"
    dimension = "political"
    unit = "decayed severity points"
    direction = +1
    goalposts = (0.0, 12.0)
    definition = (
        "Bans of opposition parties, terrorist designations, loss of parliamentary seats,"
        " arrests of opposition members, forced resignations and killings of exiled leaders,"
        " weighted by severity and fading with a one-year half-life. Closing the legal channel"
        " for dissent is what the reports see unravelling the peace settlement. 12 points (a"
        " ban, a designation and several waves of arrests within a year) is the fragile goalpost."
    )
    sources = "ICG Briefing 78, ICG op-ed, EPRS, Foreign Intrigue"
    defaults = {
        "severity": {
            "opposition_ban": 3.0,
            "terrorist_designation": 3.0,
            "exiled_leader_killed": 3.0,
            "loss_of_seats": 2.0,
            "opposition_arrests": 1.0,
            "forced_resignations": 1.0,
        },
        "half_life_days": 365.0,
        "fatality_factor": 0.5,
        "staleness_days": 1095,
    }
