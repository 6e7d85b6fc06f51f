using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Platform.Gateway.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build the PostgreSQL model without starting the host (never connects).</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<GatewayDbContext>
{
    public GatewayDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<GatewayDbContext>().UseNpgsql("Host=localhost;Database=gateway_design_time").Options);
}
