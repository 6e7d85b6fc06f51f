using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Scheduler.Data.Migrations
{
    /// <inheritdoc />
    public partial class TrainingPreparationAndEvaluation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "evaluation",
                table: "training_jobs",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "evaluation_result",
                table: "training_jobs",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "preparation",
                table: "training_jobs",
                type: "text",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "evaluation",
                table: "training_jobs");

            migrationBuilder.DropColumn(
                name: "evaluation_result",
                table: "training_jobs");

            migrationBuilder.DropColumn(
                name: "preparation",
                table: "training_jobs");
        }
    }
}
