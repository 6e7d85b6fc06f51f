namespace Platform.Scheduler.Tests.Integration;

[CollectionDefinition(nameof(ServersCollection))]
public sealed class ServersCollection : ICollectionFixture<PlatformServers>;
