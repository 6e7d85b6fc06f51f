namespace Platform.Testing.Tests;

/// <summary>One set of servers for every integration test class in this assembly.</summary>
[CollectionDefinition(nameof(ServersCollection))]
public sealed class ServersCollection : ICollectionFixture<PlatformServers>;
