using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Scheduler.Data.Migrations
{
    /// <inheritdoc />
    public partial class Sweeps : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "evaluate_only",
                table: "training_jobs",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<Guid>(
                name: "sweep_id",
                table: "training_jobs",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "trial_number",
                table: "training_jobs",
                type: "integer",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "sweeps",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    request_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    base_spec = table.Column<string>(type: "text", nullable: false),
                    definition = table.Column<string>(type: "text", nullable: false),
                    dataset_sha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    failure_reason = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    finished_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    trials_created = table.Column<int>(type: "integer", nullable: false),
                    final_job_id = table.Column<Guid>(type: "uuid", nullable: true),
                    best_trial = table.Column<int>(type: "integer", nullable: true),
                    model_name = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    model_version = table.Column<int>(type: "integer", nullable: true),
                    version = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sweeps", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_training_jobs_sweep_trial",
                table: "training_jobs",
                columns: new[] { "sweep_id", "trial_number", "evaluate_only" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_sweeps_state",
                table: "sweeps",
                column: "state");

            migrationBuilder.CreateIndex(
                name: "ix_sweeps_tenant_created",
                table: "sweeps",
                columns: new[] { "tenant_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_sweeps_tenant_request",
                table: "sweeps",
                columns: new[] { "tenant_id", "request_id" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "sweeps");

            migrationBuilder.DropIndex(
                name: "ix_training_jobs_sweep_trial",
                table: "training_jobs");

            migrationBuilder.DropColumn(
                name: "evaluate_only",
                table: "training_jobs");

            migrationBuilder.DropColumn(
                name: "sweep_id",
                table: "training_jobs");

            migrationBuilder.DropColumn(
                name: "trial_number",
                table: "training_jobs");
        }
    }
}
