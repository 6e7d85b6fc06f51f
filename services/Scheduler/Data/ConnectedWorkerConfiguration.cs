using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.Scheduler.Workers;

namespace Platform.Scheduler.Data;

internal sealed class ConnectedWorkerConfiguration : IEntityTypeConfiguration<ConnectedWorker>
{
    public void Configure(EntityTypeBuilder<ConnectedWorker> builder)
    {
        builder.ToTable("workers");
        builder.HasKey(w => w.Name);
        builder.Property(w => w.Name).HasColumnName("name").HasMaxLength(256);
        builder.Property(w => w.Capacity).HasColumnName("capacity");
        builder.Property(w => w.Draining).HasColumnName("draining");
        builder.Property(w => w.LastSeenAt).HasColumnName("last_seen_at");
    }
}
