"""How Alliance writes dates in English: day first, "3 Dec 2026", and a 24-hour clock.

Templates use these names (date:"DATE_FORMAT"), never a pattern of their own, so that each
language writes dates its own way. Django's English formats fill in the rest.
"""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j M"
