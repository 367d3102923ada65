"""The asyncio client and server: :mod:`websockets.asyncio.client` and
:mod:`websockets.asyncio.server`, from the ``ws-asyncio`` distribution."""
