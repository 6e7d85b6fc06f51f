using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Platform.Serving.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build the PostgreSQL model without starting the host (never connects).</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<ServingDbContext>
{
    public ServingDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<ServingDbContext>().UseNpgsql("Host=localhost;Database=serving_design_time").Options);
}
