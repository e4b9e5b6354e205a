"""The demo catalog as data: pilot regions and their departments and halls, the service items of the
national 跨省通办 list, each region's guides, and the agreements between regions.

The modules hold plain tables; :mod:`tongban.catalog.demo` loads them through the catalog commands.
People are invented; places, laws and rules are real. Street addresses and phone numbers are
deliberately not given: the halls show only their district, and every phone is the region's 12345
government service hotline, which is real everywhere.
"""
