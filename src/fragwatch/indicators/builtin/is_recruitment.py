from fragwatch.indicators.families import LevelIndicator
from fragwatch.indicators.registry import register


@register
class IslamicStateRecruitment(LevelIndicator):
    code = "is_recruitment"
    name = "Islamic State recruitment"
    dimension = "social"
    unit = "per million population"
    direction = +1
    goalposts = (0.0, 200.0)
    quantity = "is_recruits"
    per = "population"
    scale = 1e6
    definition = (
        "Nationals reported to have gone to join the Islamic State, per million population,"
        " latest figure known. Recruitment measures the pull of violent radicalism and the pool"
        " of battle-hardened returnees. 200 per million (above the rates reported for the most"
        " affected Central Asian states) is the fragile goalpost."
    )
    sources = "Tajik interior ministry figures reported by EPRS, AFP (via Foreign Intrigue), ICG"
    defaults = {"staleness_days": 730}
