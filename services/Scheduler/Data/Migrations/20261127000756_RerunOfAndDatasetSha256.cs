using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Scheduler.Data.Migrations
{
    /// <inheritdoc />
    public partial class RerunOfAndDatasetSha256 : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "dataset_sha256",
                table: "training_jobs",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "rerun_of",
                table: "training_jobs",
                type: "uuid",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "dataset_sha256",
                table: "training_jobs");

            migrationBuilder.DropColumn(
                name: "rerun_of",
                table: "training_jobs");
        }
    }
}
