using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Platform.Scheduler.Data;

/// <summary>
/// Lets <c>dotnet ef migrations add</c> build the PostgreSQL model without starting the host.
/// The connection string is never opened when generating migrations.
/// </summary>
internal sealed class DesignTimeSchedulerDbContextFactory : IDesignTimeDbContextFactory<SchedulerDbContext>
{
    public SchedulerDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<SchedulerDbContext>()
            .UseNpgsql("Host=localhost;Database=scheduler_design_time")
            .Options;
        return new SchedulerDbContext(options);
    }
}
