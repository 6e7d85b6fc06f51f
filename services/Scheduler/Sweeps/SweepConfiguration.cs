using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.Scheduler.Data;
using Platform.Scheduler.Jobs;

namespace Platform.Scheduler.Sweeps;

internal sealed class SweepConfiguration : IEntityTypeConfiguration<Sweep>
{
    public void Configure(EntityTypeBuilder<Sweep> builder)
    {
        builder.ToTable("sweeps");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Id).HasColumnName("id").ValueGeneratedNever();
        builder.Property(s => s.TenantId).HasColumnName("tenant_id").HasMaxLength(63).IsRequired();
        builder.Property(s => s.RequestId).HasColumnName("request_id").HasMaxLength(JobSubmission.MaxRequestIdLength);
        builder.Property(s => s.BaseSpec).HasColumnName("base_spec")
            .HasConversion(JsonText.Converter<TrainingJobSpec>(), JsonText.Comparer<TrainingJobSpec>());
        builder.Property(s => s.Definition).HasColumnName("definition")
            .HasConversion(JsonText.Converter<SweepDefinition>(), JsonText.Comparer<SweepDefinition>());
        builder.Property(s => s.DatasetSha256).HasColumnName("dataset_sha256").HasMaxLength(64);
        builder.Property(s => s.State).HasColumnName("state").HasConversion<string>().HasMaxLength(16);
        builder.Property(s => s.FailureReason).HasColumnName("failure_reason");
        builder.Property(s => s.CreatedAt).HasColumnName("created_at");
        builder.Property(s => s.FinishedAt).HasColumnName("finished_at");
        builder.Property(s => s.TrialsCreated).HasColumnName("trials_created");
        builder.Property(s => s.FinalJobId).HasColumnName("final_job_id");
        builder.Property(s => s.BestTrial).HasColumnName("best_trial");
        builder.Property(s => s.ModelName).HasColumnName("model_name").HasMaxLength(128);
        builder.Property(s => s.ModelVersion).HasColumnName("model_version");
        builder.Property(s => s.Version).HasColumnName("version").IsConcurrencyToken();
        builder.Ignore(s => s.IsEnded);

        builder.HasIndex(s => new { s.TenantId, s.RequestId }).IsUnique().HasDatabaseName("ix_sweeps_tenant_request");
        builder.HasIndex(s => new { s.TenantId, s.CreatedAt }).HasDatabaseName("ix_sweeps_tenant_created");
        // The supervisor's pass reads the sweeps that are not over.
        builder.HasIndex(s => s.State).HasDatabaseName("ix_sweeps_state");
    }
}
