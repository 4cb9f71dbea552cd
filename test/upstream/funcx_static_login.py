"""A login manager for funcx 1.0.13 that hands out one static token (this service's API token)
instead of a Globus login: the only part of the client the upstream scripts replace. Imported
lazily (inside functions) so a script that runs only globus-compute never imports funcx."""


def funcx_login_manager(token):
    import globus_sdk
    from funcx.sdk.web_client import FuncxWebClient

    class StaticTokenLoginManager:
        def ensure_logged_in(self):
            pass

        def logout(self):
            return False

        def get_auth_client(self):
            return globus_sdk.AuthClient(authorizer=globus_sdk.AccessTokenAuthorizer(token))

        def get_funcx_web_client(self, *, base_url=None):
            return FuncxWebClient(base_url=base_url, authorizer=globus_sdk.AccessTokenAuthorizer(token))

    return StaticTokenLoginManager()
