using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Serving.Data.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "prediction_log",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    request_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    row_index = table.Column<int>(type: "integer", nullable: false),
                    model_name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    version = table.Column<int>(type: "integer", nullable: false),
                    version_id = table.Column<Guid>(type: "uuid", nullable: false),
                    reference = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    predicted_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    inputs = table.Column<string>(type: "text", nullable: false),
                    omitted_columns = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    predicted_label = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    predicted_value = table.Column<double>(type: "double precision", nullable: true),
                    prediction = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_prediction_log", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "prediction_outcomes",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    request_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    row_index = table.Column<int>(type: "integer", nullable: false),
                    label = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    value = table.Column<double>(type: "double precision", nullable: true),
                    reported_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    source = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_prediction_outcomes", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_prediction_log_predicted_at",
                table: "prediction_log",
                column: "predicted_at");

            migrationBuilder.CreateIndex(
                name: "ix_prediction_log_tenant_id_model_name_version_predicted_at",
                table: "prediction_log",
                columns: new[] { "tenant_id", "model_name", "version", "predicted_at" });

            migrationBuilder.CreateIndex(
                name: "ix_prediction_log_tenant_id_request_id_row_index",
                table: "prediction_log",
                columns: new[] { "tenant_id", "request_id", "row_index" });

            migrationBuilder.CreateIndex(
                name: "ix_prediction_outcomes_reported_at",
                table: "prediction_outcomes",
                column: "reported_at");

            migrationBuilder.CreateIndex(
                name: "ix_prediction_outcomes_tenant_id_request_id_row_index",
                table: "prediction_outcomes",
                columns: new[] { "tenant_id", "request_id", "row_index" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "prediction_log");

            migrationBuilder.DropTable(
                name: "prediction_outcomes");
        }
    }
}
