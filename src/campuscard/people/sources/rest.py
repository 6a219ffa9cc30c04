"""REST/JSON source (httpx): a paged list of people and/or one request per person; Basic,
API-key header or Bearer auth; each field picked from the JSON with a JMESPath expression."""

from urllib.parse import quote, urljoin

import httpx
import jmespath
from django.utils.translation import gettext as _

from campuscard.people.sources import Source, SourceError

MAX_PAGES = 100_000


class RestSource(Source):
    def __init__(self, config):
        super().__init__(config)
        try:
            self.paths = {key: jmespath.compile(key) for key in set(config.mapping().values())}
            options = config.options
            self.items = jmespath.compile(options["items"]) if options.get("items") else None
            self.next = jmespath.compile(options["next"]) if options.get("next") else None
        except jmespath.exceptions.JMESPathError as exc:
            raise SourceError(_("REST: bad JMESPath expression (%(error)s).")
                              % {"error": exc}) from None

    def describe(self):
        return self.config.options.get("url") or self.config.options.get("person_url", "")

    def _client(self, timeout):
        options = self.config.options
        auth, headers = None, {"Accept": "application/json"}
        kind = options.get("auth", "none")
        if kind == "basic":
            auth = httpx.BasicAuth(options.get("username", ""), self.config.secret("password"))
        elif kind == "bearer":
            headers["Authorization"] = f"Bearer {self.config.secret('token')}"
        elif kind == "api-key":
            headers[options.get("api_key_header", "X-API-Key")] = self.config.secret("api_key")
        verify = options.get("ca_file") or True
        return httpx.Client(auth=auth, headers=headers, timeout=timeout, verify=verify,
                            follow_redirects=False)

    def _get(self, client, url, params=None, missing_ok=False):
        try:
            response = client.get(url, params=params)
        except httpx.HTTPError as exc:
            raise SourceError(_("REST: %(error)s") % {"error": type(exc).__name__}) from None
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 400:
            raise SourceError(_("REST: %(url)s answered %(status)d.")
                              % {"url": url, "status": response.status_code})
        try:
            return response.json()
        except ValueError:
            raise SourceError(_("REST: %(url)s did not answer JSON.") % {"url": url}) from None

    def entries(self, since="", timeout=None):
        url = self.config.options.get("url")
        if not url:
            raise SourceError(_("REST: this source has no url listing people; it can only "
                                "look one person up."))
        page_param = self.config.options.get("page_param")
        with self._client(timeout or self.config.timeout) as client:
            page, pages = 1, 0
            while url and pages < MAX_PAGES:
                params = {page_param: page} if page_param else None
                body = self._get(client, url, params)
                items = self.items.search(body) if self.items else body
                if not isinstance(items, list):
                    raise SourceError(_("REST: the items of %(url)s are not a list.")
                                      % {"url": url})
                yield from (item for item in items if isinstance(item, dict))
                pages += 1
                if self.next is not None:
                    following = self.next.search(body)
                    url = urljoin(url, following) if isinstance(following, str) else None
                elif page_param and items:
                    page += 1
                else:
                    url = None

    def lookup(self, eppn, timeout=None):
        template = self.config.options.get("person_url")
        if not template:
            return None
        url = template.replace("{eppn}", quote(eppn, safe="@"))
        with self._client(timeout or self.config.timeout) as client:
            body = self._get(client, url, missing_ok=True)
        if isinstance(body, list):
            body = body[0] if body else None
        return body if isinstance(body, dict) else None

    def raw_value(self, raw, key):
        return self.paths[key].search(raw)


SOURCE_CLASS = RestSource
