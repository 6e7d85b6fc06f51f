using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.ModelStore.Data.Migrations
{
    /// <inheritdoc />
    public partial class ModelCardFields : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "model_card_fields",
                columns: table => new
                {
                    model_version_id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    intended_use = table.Column<string>(type: "character varying(10000)", maxLength: 10000, nullable: false),
                    limitations = table.Column<string>(type: "character varying(10000)", maxLength: 10000, nullable: false),
                    updated_by = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    updated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_model_card_fields", x => x.model_version_id);
                    table.ForeignKey(
                        name: "fk_model_card_fields_model_versions_model_version_id",
                        column: x => x.model_version_id,
                        principalTable: "model_versions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "model_card_fields");
        }
    }
}
