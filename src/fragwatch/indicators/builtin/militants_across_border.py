from fragwatch.indicators.families import WindowMaxIndicator
from fragwatch.indicators.registry import register


@register
class MilitantsAcrossBorder(WindowMaxIndicator):
    code = "militants_across_border"
    name = "Militants massed across the border"
    dimension = "security"
    unit = "fighters"
    direction = +1
    goalposts = (0.0, 5000.0)
    quantity = "militants_near_border"
    definition = (
        "The largest current estimate of militants massed near the country's borders (estimates"
        " whose period ended within the last year). Sources count different groups over"
        " different stretches of border, so the desk reads the worst credible estimate."
        " 5,000 fighters (the size of force the reports place in northern Afghanistan) is the"
        " fragile goalpost."
    )
    sources = "Ahmed Rashid (NYT) via Foreign Intrigue; CIS border-troop coordinator via ICG; EPRS"
    defaults = {"staleness_days": 365}
