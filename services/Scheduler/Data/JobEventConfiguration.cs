using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.Scheduler.Jobs;

namespace Platform.Scheduler.Data;

internal sealed class JobEventConfiguration : IEntityTypeConfiguration<JobEvent>
{
    public void Configure(EntityTypeBuilder<JobEvent> builder)
    {
        builder.ToTable("job_events");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).HasColumnName("id").ValueGeneratedOnAdd();
        builder.Property(e => e.JobId).HasColumnName("job_id");
        builder.Property(e => e.Sequence).HasColumnName("sequence");
        builder.Property(e => e.State).HasColumnName("state").HasConversion<string>().HasMaxLength(16);
        builder.Property(e => e.Stage).HasColumnName("stage");
        builder.Property(e => e.Progress).HasColumnName("progress");
        builder.Property(e => e.Message).HasColumnName("message");
        builder.Property(e => e.At).HasColumnName("at");
        // One row per (job, sequence): two writers appending the same step cannot both succeed.
        builder.HasIndex(e => new { e.JobId, e.Sequence }).IsUnique().HasDatabaseName("ix_job_events_job_sequence");
        builder.HasOne<TrainingJob>().WithMany().HasForeignKey(e => e.JobId).OnDelete(DeleteBehavior.Cascade);
    }
}
