from fragwatch.indicators.families import LevelIndicator
from fragwatch.indicators.registry import register


@register
class RemittancesShareOfGdp(LevelIndicator):
    code = "remittances_gdp"
    name = "Remittance share of GDP"
    dimension = "economic"
    unit = "percent of GDP"
    direction = +1
    goalposts = (0.0, 50.0)
    quantity = "remittances_gdp"
    definition = (
        "Personal remittances received as a share of GDP, latest year known. An economy living"
        " on migrants' earnings abroad has no buffer when the host economy turns: the reports"
        " tie Tajikistan's crisis to remittances of 'more than 40 per cent of GDP' falling with"
        " the Russian downturn. 50% (half the economy) is the fragile goalpost, 0% the calm one."
    )
    sources = (
        "World Bank WDI BX.TRF.PWKR.DT.GD.ZS; report estimates (ICG, AFP via Foreign Intrigue)"
    )
    defaults = {"staleness_days": 1095}
