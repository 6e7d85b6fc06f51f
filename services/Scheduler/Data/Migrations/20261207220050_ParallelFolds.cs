using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Scheduler.Data.Migrations
{
    /// <inheritdoc />
    public partial class ParallelFolds : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "awaiting_folds",
                table: "training_jobs",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<int>(
                name: "fold",
                table: "training_jobs",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "fold_outcome",
                table: "training_jobs",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "fold_outcomes",
                table: "training_jobs",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "folds_succeeded",
                table: "training_jobs",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<Guid>(
                name: "parent_job_id",
                table: "training_jobs",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_training_jobs_parent_fold",
                table: "training_jobs",
                columns: new[] { "parent_job_id", "fold" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_training_jobs_parent_fold",
                table: "training_jobs");

            migrationBuilder.DropColumn(
                name: "awaiting_folds",
                table: "training_jobs");

            migrationBuilder.DropColumn(
                name: "fold",
                table: "training_jobs");

            migrationBuilder.DropColumn(
                name: "fold_outcome",
                table: "training_jobs");

            migrationBuilder.DropColumn(
                name: "fold_outcomes",
                table: "training_jobs");

            migrationBuilder.DropColumn(
                name: "folds_succeeded",
                table: "training_jobs");

            migrationBuilder.DropColumn(
                name: "parent_job_id",
                table: "training_jobs");
        }
    }
}
