using Platform.Testing;

namespace Platform.ModelStore.Tests.Integration;

/// <summary>Integration tests share one set of servers; each test still gets its own database.</summary>
[CollectionDefinition(nameof(ServersCollection))]
public sealed class ServersCollection : ICollectionFixture<PlatformServers>;
