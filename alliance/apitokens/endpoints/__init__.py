"""The REST API's endpoints, one module per domain (see docs/api.md for why they live here).

Each endpoint is a thin adapter: it reads through ``alliance.access`` (which writes the same
audit rows the pages write) and changes records only through the domain's services.
"""
