"""Use cases: what the API and the command line ask the product to do, each in one place.

A use case takes primitives, domain types and settings groups (never a request shape), asks the
repositories (service.db) and the domain's rules, and raises WanggeError subclasses; the route
or command that calls it parses its input and turns the result into an answer. What a process
keeps between requests (caches, decoding slots) is built once in the app's lifespan and handed
in. See docs/architecture.md.
"""
