from fragwatch.indicators.families import LevelIndicator
from fragwatch.indicators.registry import register


@register
class ConflictDeaths(LevelIndicator):
    code = "conflict_deaths"
    name = "Political-violence deaths"
    dimension = "security"
    unit = "deaths per 100,000"
    direction = +1
    goalposts = (0.0, 5.0)
    quantity = "conflict_death_rate"
    definition = (
        "Direct deaths in organised violence per 100,000 people in the latest year recorded by"
        " UCDP (best estimate). 5 per 100,000 (a country-wide armed conflict) is the fragile"
        " goalpost; Tajikistan's civil-war years lie far above it and clip to 1."
    )
    sources = "UCDP GED 19.1 via Our World in Data"
    defaults = {"staleness_days": 730}
