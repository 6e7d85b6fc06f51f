using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Platform.ModelStore.Data;

/// <summary>
/// Lets <c>dotnet ef migrations add</c> build the PostgreSQL model without starting the host.
/// The connection string is never opened: generating a migration needs only the provider.
/// </summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<ModelStoreDbContext>
{
    public ModelStoreDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<ModelStoreDbContext>()
            .UseNpgsql("Host=localhost;Database=model_store_design_time")
            .Options);
}
