using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Scheduler.Data.Migrations
{
    /// <inheritdoc />
    public partial class Scheduling : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "commit_granted_at",
                table: "training_jobs",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "deadline_at",
                table: "training_jobs",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "failed_attempts",
                table: "training_jobs",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTime>(
                name: "lease_expires_at",
                table: "training_jobs",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "max_run_seconds",
                table: "training_jobs",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTime>(
                name: "not_before",
                table: "training_jobs",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "priority",
                table: "training_jobs",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "queue",
                table: "training_jobs",
                type: "character varying(63)",
                maxLength: 63,
                nullable: false,
                defaultValue: "default");

            migrationBuilder.CreateTable(
                name: "workers",
                columns: table => new
                {
                    name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    capacity = table.Column<int>(type: "integer", nullable: false),
                    draining = table.Column<bool>(type: "boolean", nullable: false),
                    last_seen_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_workers", x => x.name);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "workers");

            migrationBuilder.DropColumn(
                name: "commit_granted_at",
                table: "training_jobs");

            migrationBuilder.DropColumn(
                name: "deadline_at",
                table: "training_jobs");

            migrationBuilder.DropColumn(
                name: "failed_attempts",
                table: "training_jobs");

            migrationBuilder.DropColumn(
                name: "lease_expires_at",
                table: "training_jobs");

            migrationBuilder.DropColumn(
                name: "max_run_seconds",
                table: "training_jobs");

            migrationBuilder.DropColumn(
                name: "not_before",
                table: "training_jobs");

            migrationBuilder.DropColumn(
                name: "priority",
                table: "training_jobs");

            migrationBuilder.DropColumn(
                name: "queue",
                table: "training_jobs");
        }
    }
}
