/* catalogue.h -- the text of every posture check: titles, remediation, clause.
 *
 * Check ids are stable contracts; this catalogue gives each id its Japanese
 * and English title, the remediation hint and the policy clause it serves.
 * It is data only (no check code, no dependencies), so the agent and the
 * collector link the same table: reports (schema 2, docs/report-schema.md)
 * carry the check id and the catalogue version instead of repeating the
 * text, and the collector's views take the text from here by id.
 *
 * MAMORI_CATALOGUE_VERSION changes whenever a text changes (a unit test pins
 * the content, tests/collectors/t_catalogue.c), so a stored report names the
 * wording its agent had. */
#ifndef MAMORI_CATALOGUE_H
#define MAMORI_CATALOGUE_H

#define MAMORI_CATALOGUE_VERSION 1

struct mamori_check_text {
    const char *id; /* e.g. "av.pattern_fresh" */
    const char *title_ja;
    const char *title_en;
    const char *remediation_ja;
    const char *remediation_en;
    const char *clause; /* e.g. "001 §10(4)イ(イ) (B2)" -- see shared/requirements.md */
};

/* Every check's text in display order, terminated by an entry with id NULL. */
extern const struct mamori_check_text mamori_catalogue[];

/* The text of check id, or NULL for an id this build does not know. */
const struct mamori_check_text *mamori_catalogue_find(const char *id);

#endif /* MAMORI_CATALOGUE_H */
