"""How Alliance writes dates in Canadian French: « 3 décembre 2026 », « 14 h 30 » (OQLF).

The spaces around the « h » are non-breaking. Django's French formats fill in the rest (its
numbers already use a decimal comma).
"""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H\u00a0\\h\u00a0i"
TIME_FORMAT = "H\u00a0\\h\u00a0i"
MONTH_DAY_FORMAT = "j F"
