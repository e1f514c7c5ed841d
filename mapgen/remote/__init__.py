"""Rules for talking to servers, shared by ``mapgen fetch`` (readers) and ``mapgen publish``.

- :mod:`~mapgen.remote.secrets`: where a secret may go (the origin named, https off loopback)
  and the redaction of the secrets in use from every text a server sent;
- :mod:`~mapgen.remote.bounds`: what a server may cost (an answer's size, a request's whole time).

Neither imports another mapgen module, so that :mod:`mapgen.errors` can use them.
"""
