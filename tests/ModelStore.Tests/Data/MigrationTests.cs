using Microsoft.EntityFrameworkCore;
using Platform.ModelStore.Data;

namespace Platform.ModelStore.Tests.Data;

public sealed class MigrationTests
{
    [Fact]
    public void The_migrations_describe_the_current_model()
    {
        // Fails when an entity or configuration changed without `dotnet ef migrations add`. No server needed.
        using var db = new ModelStoreDbContext(new DbContextOptionsBuilder<ModelStoreDbContext>()
            .UseNpgsql("Host=localhost;Database=unused").Options);

        Assert.False(db.Database.HasPendingModelChanges());
    }
}
