from fragwatch.indicators.families import ChangeIndicator
from fragwatch.indicators.registry import register


@register
class HeroinSeizureTrend(ChangeIndicator):
    code = "heroin_seizure_trend"
    name = "Heroin seizures trend"
    dimension = "security"
    unit = "percent change"
    direction = -1
    goalposts = (-80.0, 20.0)
    quantity = "heroin_seizures"
    definition = (
        "Percent change in heroin seized between the two latest years reported. Trafficking"
        " through the country is growing, so a fall in seizures reads as weakening interdiction"
        " and complicity, not success: 'Low seizures suggest complicity in the trade among the"
        " structures responsible for countering it' (1,450 kg in 2008, 508 kg in 2014: -65%)."
        " A fall of 80% or more is the fragile goalpost, a rise of 20% the calm one."
    )
    sources = "ICG Briefing 78 (citing the US INCSR)"
    defaults = {"staleness_days": 1095}
