using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Platform.ModelStore.Data.Migrations
{
    /// <inheritdoc />
    public partial class Registry : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "keep_last_versions",
                table: "models",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AlterColumn<string>(
                name: "job_id",
                table: "model_versions",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "character varying(200)",
                oldMaxLength: 200);

            migrationBuilder.AlterColumn<string>(
                name: "dataset_sha256",
                table: "model_versions",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "character varying(64)",
                oldMaxLength: 64);

            migrationBuilder.AlterColumn<Guid>(
                name: "dataset_id",
                table: "model_versions",
                type: "uuid",
                nullable: true,
                oldClrType: typeof(Guid),
                oldType: "uuid");

            migrationBuilder.AddColumn<string>(
                name: "approval_actor",
                table: "model_versions",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "approval_comment",
                table: "model_versions",
                type: "character varying(4000)",
                maxLength: 4000,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "approval_decided_at",
                table: "model_versions",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "approval_status",
                table: "model_versions",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "pending");

            migrationBuilder.AddColumn<int>(
                name: "attempt",
                table: "model_versions",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "description",
                table: "model_versions",
                type: "character varying(4000)",
                maxLength: 4000,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "git_commit",
                table: "model_versions",
                type: "character varying(200)",
                maxLength: 200,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "input_schema",
                table: "model_versions",
                type: "text",
                nullable: false,
                defaultValue: "[]");

            migrationBuilder.AddColumn<string>(
                name: "output_schema",
                table: "model_versions",
                type: "text",
                nullable: false,
                defaultValue: "[]");

            migrationBuilder.AddColumn<string>(
                name: "platform_version",
                table: "model_versions",
                type: "character varying(200)",
                maxLength: 200,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "preparation_steps",
                table: "model_versions",
                type: "text",
                nullable: false,
                defaultValue: "[]");

            migrationBuilder.AddColumn<string>(
                name: "source",
                table: "model_versions",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "training_job");

            migrationBuilder.AddColumn<DateTime>(
                name: "trained_at",
                table: "model_versions",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "training_seconds",
                table: "model_versions",
                type: "double precision",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.AddColumn<string>(
                name: "worker",
                table: "model_versions",
                type: "character varying(200)",
                maxLength: 200,
                nullable: false,
                defaultValue: "");

            migrationBuilder.CreateTable(
                name: "dataset_erasures",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    dataset_id = table.Column<Guid>(type: "uuid", nullable: false),
                    actor = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    request_reference = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    erased_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    versions = table.Column<string>(type: "text", nullable: false),
                    blobs_deleted = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_dataset_erasures", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "model_aliases",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    model_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    model_version_id = table.Column<Guid>(type: "uuid", nullable: false),
                    set_by = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    set_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_model_aliases", x => x.id);
                    table.ForeignKey(
                        name: "fk_model_aliases_model_versions_model_version_id",
                        column: x => x.model_version_id,
                        principalTable: "model_versions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_model_aliases_models_model_id",
                        column: x => x.model_id,
                        principalTable: "models",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "model_version_metrics",
                columns: table => new
                {
                    model_version_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    tenant_id = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    value = table.Column<double>(type: "double precision", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_model_version_metrics", x => new { x.model_version_id, x.name });
                    table.ForeignKey(
                        name: "fk_model_version_metrics_model_versions_model_version_id",
                        column: x => x.model_version_id,
                        principalTable: "model_versions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            // Versions registered before this migration: their finite metrics become search rows too.
            migrationBuilder.Sql("""
                INSERT INTO model_version_metrics (model_version_id, name, tenant_id, value)
                SELECT v.id, m.key, v.tenant_id, m.value::double precision
                FROM model_versions v, jsonb_each_text(v.metrics::jsonb) AS m
                WHERE m.value NOT IN ('NaN', 'Infinity', '-Infinity') AND length(m.key) <= 200;
                """);

            migrationBuilder.CreateTable(
                name: "model_version_tags",
                columns: table => new
                {
                    model_version_id = table.Column<Guid>(type: "uuid", nullable: false),
                    key = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    tenant_id = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    value = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_model_version_tags", x => new { x.model_version_id, x.key });
                    table.ForeignKey(
                        name: "fk_model_version_tags_model_versions_model_version_id",
                        column: x => x.model_version_id,
                        principalTable: "model_versions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "outbox_messages",
                columns: table => new
                {
                    sequence = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    message_id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    message_type = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    payload = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    sent_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    next_attempt_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    last_error = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_outbox_messages", x => x.sequence);
                });

            migrationBuilder.CreateIndex(
                name: "ix_model_versions_tenant_id_created_at_id",
                table: "model_versions",
                columns: new[] { "tenant_id", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_model_versions_tenant_id_dataset_id",
                table: "model_versions",
                columns: new[] { "tenant_id", "dataset_id" });

            migrationBuilder.CreateIndex(
                name: "ix_datasets_sha256",
                table: "datasets",
                column: "sha256");

            migrationBuilder.CreateIndex(
                name: "ix_artifacts_sha256",
                table: "artifacts",
                column: "sha256");

            migrationBuilder.CreateIndex(
                name: "ix_dataset_erasures_tenant_id_dataset_id",
                table: "dataset_erasures",
                columns: new[] { "tenant_id", "dataset_id" });

            migrationBuilder.CreateIndex(
                name: "ix_dataset_erasures_tenant_id_erased_at_id",
                table: "dataset_erasures",
                columns: new[] { "tenant_id", "erased_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_model_aliases_model_id_name",
                table: "model_aliases",
                columns: new[] { "model_id", "name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_model_aliases_model_version_id",
                table: "model_aliases",
                column: "model_version_id");

            migrationBuilder.CreateIndex(
                name: "ix_model_version_metrics_tenant_id_name_value",
                table: "model_version_metrics",
                columns: new[] { "tenant_id", "name", "value" });

            migrationBuilder.CreateIndex(
                name: "ix_model_version_tags_tenant_id_key_value",
                table: "model_version_tags",
                columns: new[] { "tenant_id", "key", "value" });

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_message_id",
                table: "outbox_messages",
                column: "message_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_next_attempt_at_sequence",
                table: "outbox_messages",
                columns: new[] { "next_attempt_at", "sequence" },
                filter: "sent_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_sent_at",
                table: "outbox_messages",
                column: "sent_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "dataset_erasures");

            migrationBuilder.DropTable(
                name: "model_aliases");

            migrationBuilder.DropTable(
                name: "model_version_metrics");

            migrationBuilder.DropTable(
                name: "model_version_tags");

            migrationBuilder.DropTable(
                name: "outbox_messages");

            migrationBuilder.DropIndex(
                name: "ix_model_versions_tenant_id_created_at_id",
                table: "model_versions");

            migrationBuilder.DropIndex(
                name: "ix_model_versions_tenant_id_dataset_id",
                table: "model_versions");

            migrationBuilder.DropIndex(
                name: "ix_datasets_sha256",
                table: "datasets");

            migrationBuilder.DropIndex(
                name: "ix_artifacts_sha256",
                table: "artifacts");

            migrationBuilder.DropColumn(
                name: "keep_last_versions",
                table: "models");

            migrationBuilder.DropColumn(
                name: "approval_actor",
                table: "model_versions");

            migrationBuilder.DropColumn(
                name: "approval_comment",
                table: "model_versions");

            migrationBuilder.DropColumn(
                name: "approval_decided_at",
                table: "model_versions");

            migrationBuilder.DropColumn(
                name: "approval_status",
                table: "model_versions");

            migrationBuilder.DropColumn(
                name: "attempt",
                table: "model_versions");

            migrationBuilder.DropColumn(
                name: "description",
                table: "model_versions");

            migrationBuilder.DropColumn(
                name: "git_commit",
                table: "model_versions");

            migrationBuilder.DropColumn(
                name: "input_schema",
                table: "model_versions");

            migrationBuilder.DropColumn(
                name: "output_schema",
                table: "model_versions");

            migrationBuilder.DropColumn(
                name: "platform_version",
                table: "model_versions");

            migrationBuilder.DropColumn(
                name: "preparation_steps",
                table: "model_versions");

            migrationBuilder.DropColumn(
                name: "source",
                table: "model_versions");

            migrationBuilder.DropColumn(
                name: "trained_at",
                table: "model_versions");

            migrationBuilder.DropColumn(
                name: "training_seconds",
                table: "model_versions");

            migrationBuilder.DropColumn(
                name: "worker",
                table: "model_versions");

            migrationBuilder.AlterColumn<string>(
                name: "job_id",
                table: "model_versions",
                type: "character varying(200)",
                maxLength: 200,
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "character varying(200)",
                oldMaxLength: 200,
                oldNullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "dataset_sha256",
                table: "model_versions",
                type: "character varying(64)",
                maxLength: 64,
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "character varying(64)",
                oldMaxLength: 64,
                oldNullable: true);

            migrationBuilder.AlterColumn<Guid>(
                name: "dataset_id",
                table: "model_versions",
                type: "uuid",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000000"),
                oldClrType: typeof(Guid),
                oldType: "uuid",
                oldNullable: true);
        }
    }
}
