using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Scheduler.Data.Migrations
{
    /// <inheritdoc />
    public partial class EstimatedRunSeconds : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "estimated_run_seconds",
                table: "training_jobs",
                type: "double precision",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "estimated_run_seconds",
                table: "training_jobs");
        }
    }
}
