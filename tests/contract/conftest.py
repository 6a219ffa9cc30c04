"""The live router fixtures are shared with the client's own tests."""

from tests.esc_router.conftest import contract_checked_http, live_router, router_key

__all__ = ["contract_checked_http", "live_router", "router_key"]
