"""Sharded indexes: one index split into N complete indexes (shards), built
in parallel -- in local processes or as Dask tasks -- and searched as one.

A document's shard is a stable hash of its id (``layout``).  Each shard is an
ordinary searchkit index, updated by ``searchkit.index.update`` with a filter
on ids (``build``).  A search combines the shards' BM25 statistics before any
shard scores a document, as Elasticsearch's ``dfs_query_then_fetch`` does
(``stats``), merges their best candidates to the global top, re-ranks those
by proximity, and fetches the hits from the shards that hold them
(``search``): the answers are those of one index over the same documents.
On a Dask cluster the shard searchers live on the workers (``cluster``).
"""

from searchkit.shards.layout import is_sharded  # noqa: F401
