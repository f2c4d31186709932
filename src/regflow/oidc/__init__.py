"""regflow as an OpenID Provider, on Authlib's OAuth 2.0 / OpenID Connect server components.

``server`` subclasses Authlib's ``AuthorizationServer``, grants and endpoints
and feeds them what the services loaded; ``models`` adapts regflow's data to
Authlib's mixins; ``requests`` turns a Starlette request into Authlib's.
"""
