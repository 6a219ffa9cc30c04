"""Which template prints a person's card: data, not code (docs/printing.md).

Among the active templates that have a version, for the establishment (or for every one) and
for the person's population (or for all):
1. a template whose key is the person's card template key (set by the directory rules) —
   a template with a key is only ever chosen by its key;
2. then one of the establishment for the person's population;
3. then one of the establishment for every population;
4. then a global one (for the population, then for all);
the highest priority first within each rank, then the code."""

from django.db.models import Count, Q

from campuscard.printing.models import CardTemplate


class NoTemplate(LookupError):
    pass


def candidate_templates(person, establishment):
    return (CardTemplate.objects.filter(active=True, versions__isnull=False)
            .filter(Q(establishment=establishment) | Q(establishment__isnull=True))
            .annotate(population_count=Count("populations", distinct=True),
                      fits_population=Count("populations", distinct=True,
                                            filter=Q(populations=person.population_id)))
            .distinct())


def rank(template, person, establishment):
    """A sortable rank, highest best; None when the template is not for this person."""
    if template.population_count and not template.fits_population:
        return None
    key_match = bool(template.key) and template.key == person.card_template
    if template.key and not key_match:
        return None
    own = template.establishment_id == establishment.pk
    return (key_match, own, bool(template.population_count), template.priority)


def choose_template(person, establishment=None):
    establishment = establishment or person.establishment
    ranked = []
    for template in candidate_templates(person, establishment):
        template_rank = rank(template, person, establishment)
        if template_rank is not None:
            ranked.append((template_rank, template.code, template))
    if not ranked:
        raise NoTemplate(person.pk)
    ranked.sort(key=lambda entry: (tuple(-int(part) for part in entry[0]), entry[1]))
    return ranked[0][2]
