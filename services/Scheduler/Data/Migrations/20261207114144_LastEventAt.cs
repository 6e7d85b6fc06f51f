using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Scheduler.Data.Migrations
{
    /// <inheritdoc />
    public partial class LastEventAt : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "last_event_at",
                table: "training_jobs",
                type: "timestamp with time zone",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "last_event_at",
                table: "training_jobs");
        }
    }
}
