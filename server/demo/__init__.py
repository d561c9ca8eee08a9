"""The demo: a small province tree with its users (``loaders``) and inspections in every state
(``inspections``), loaded by ``spotcheck demo`` for `make run`. It sits at the composition level:
it uses the domain packages' services, and nothing imports it but the command line and the tests.
"""

from server.demo.loaders import DEMO_USERS, load_demo

__all__ = ["DEMO_USERS", "load_demo"]
