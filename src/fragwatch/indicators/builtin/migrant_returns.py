from fragwatch.indicators.families import LevelIndicator
from fragwatch.indicators.registry import register


@register
class MigrantReturns(LevelIndicator):
    code = "migrant_returns"
    name = "Migrant returns"
    dimension = "social"
    unit = "percent of population"
    direction = +1
    goalposts = (0.0, 6.0)
    quantity = "migrant_returns"
    per = "population"
    scale = 100.0
    definition = (
        "Migrant workers returning home in a year, as a share of the population. Returnees come"
        " back 'with little hope of finding work': jobless young men and lost remittances at"
        " once. Per head so countries of any size compare; 6% of the population in a year (about"
        " a third of a large migrant workforce) is the fragile goalpost."
    )
    sources = "ICG Briefing 78 (returns, population)"
    defaults = {"staleness_days": 730}
