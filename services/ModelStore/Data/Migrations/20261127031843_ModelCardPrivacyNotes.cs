using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.ModelStore.Data.Migrations
{
    /// <inheritdoc />
    public partial class ModelCardPrivacyNotes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "privacy",
                table: "model_card_fields",
                type: "character varying(10000)",
                maxLength: 10000,
                nullable: false,
                defaultValue: "");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "privacy",
                table: "model_card_fields");
        }
    }
}
