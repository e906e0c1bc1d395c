"""The demo site's words: tags, posts and pages in French and English, and a few reader conversations."""

DEMO_TAGS = [
    ("Cuisine", "cuisine", "Recettes éprouvées dans une petite cuisine."),
    ("Jardin", "jardin", "Un balcon, des bacs, beaucoup d’essais."),
    ("Numérique", "numerique", "Outils, sauvegardes et web indépendant."),
    ("Lectures", "lectures", "Les livres qui restent."),
    ("Voyages", "voyages", "À pied, de préférence."),
    ("Carnet", "carnet", "Notes du quotidien."),
    ("Cooking", "cooking", "Recipes from a small kitchen, in English."),
    ("Tech", "tech", "Self-hosting, backups and the small web."),
    ("Writing", "writing", "On blogging, newsletters and keeping at it."),
]

# Each post: slug, title, language, tags, days since publication (negative: scheduled), status,
# whether it gets a generated cover, and the Markdown body.
DEMO_POSTS = [
    {
        "slug": "pain-au-levain-a-la-maison",
        "title": "Faire son pain au levain à la maison",
        "language": "fr",
        "tags": ["cuisine", "carnet"],
        "days_ago": 3,
        "cover": "#c8963e",
        "body": """Il y a deux ans, j’ai récupéré un pot de levain chez une voisine. Depuis, il vit dans
le réfrigérateur et me donne un pain par semaine. Voici la méthode que j’ai fini par adopter,
après beaucoup de miches plates.

## Les ingrédients

- 100 g de levain actif (rafraîchi la veille au soir)
- 350 g d’eau tiède
- 500 g de farine T65, dont 50 g de farine complète
- 10 g de sel

## La méthode, sans pétrissage

1. Mélangez l’eau et le levain, puis la farine. Laissez reposer une heure : c’est l’autolyse.
2. Ajoutez le sel avec un peu d’eau, pincez la pâte pour l’incorporer.
3. Pendant deux heures, faites une série de rabats toutes les trente minutes.
4. Laissez pousser jusqu’à ce que la pâte ait gonflé de moitié, puis façonnez.
5. Une nuit au réfrigérateur, dans un banneton fariné.
6. Cuisson en cocotte, 250 °C : 25 minutes couvert, 20 minutes découvert.

> Le levain n’aime pas la précipitation. Si la pâte ne gonfle pas, attendez encore.

Pour aller plus loin, le site [Du pain et des graines](https://example.org/levain) explique très
bien la chimie du levain. Et vous, quelle farine utilisez-vous ?""",
    },
    {
        "slug": "sauvegarder-ses-photos-sans-y-penser",
        "title": "Sauvegarder ses photos sans y penser",
        "language": "fr",
        "tags": ["numerique"],
        "days_ago": 12,
        "body": """Perdre dix ans de photos à cause d’un disque dur fatigué : c’est arrivé à un ami le
mois dernier. Alors j’ai enfin mis en place une sauvegarde qui tourne toute seule.

## La règle du 3-2-1

- **trois** copies de chaque fichier ;
- sur **deux** supports différents ;
- dont **une** hors de la maison.

## Le script

Chaque nuit, une tâche planifiée copie le dossier des photos vers un disque externe, puis vers
un serveur chez un ami :

```bash
#!/bin/sh
set -eu
rsync -a --delete "$HOME/Images/" /media/sauvegarde/images/
rsync -az -e ssh "$HOME/Images/" ami@maison-de-ami:/srv/sauvegardes/images/
```

Une ligne dans la `crontab` suffit : `30 2 * * * ~/bin/sauvegarde.sh`.

## Vérifier, vraiment

Une sauvegarde qu’on n’a jamais restaurée n’est qu’un espoir. Une fois par trimestre, je
restaure un dossier au hasard et je l’ouvre. La documentation de
[rsync](https://rsync.samba.org/) détaille toutes les options.""",
    },
    {
        "slug": "potager-sur-le-balcon-premier-bilan",
        "title": "Un potager sur le balcon : le bilan de la première année",
        "language": "fr",
        "tags": ["jardin"],
        "days_ago": 40,
        "cover": "#5b8c3a",
        "body": """Quatre mètres carrés exposés plein sud, six bacs, et une ambition raisonnable :
manger au moins une salade par semaine venue du balcon. Bilan après douze mois.

## Ce qui a marché

- les **tomates cerises**, généreuses de juillet à octobre ;
- le **basilic**, à condition de le pincer souvent ;
- les **radis**, prêts en quatre semaines, parfaits pour les impatients.

## Ce qui a échoué

Les courgettes ont pris toute la place pour trois fruits. Les fraises ont nourri surtout les
merles. Et j’ai arrosé beaucoup trop en mai.

## Pour l’an prochain

J’installe un arrosage goutte-à-goutte et je remplace les courgettes par des haricots grimpants,
qui poussent en hauteur. Les conseils du [jardin partagé du quartier](https://example.org/jardin)
m’ont beaucoup aidée.""",
    },
    {
        "slug": "pourquoi-ecrire-ici",
        "title": "Pourquoi j’écris ici plutôt que sur les réseaux",
        "language": "fr",
        "tags": ["carnet", "numerique"],
        "days_ago": 75,
        "body": """Ce carnet existe parce que je voulais un endroit à moi, où les textes restent
trouvables dans dix ans et où personne ne décide à ma place qui les lit.

## Un lieu qui m’appartient

Sur un réseau social, un billet vit deux jours puis disparaît dans le fil. Ici, il a une adresse
fixe, il apparaît dans les flux RSS, et les moteurs de recherche le retrouvent.

## Des lecteurs plutôt que des abonnés

Je préfère trois commentaires réfléchis à cent réactions. Les commentaires sont modérés, et la
lettre d’information part directement d’ici, sans plateforme intermédiaire.

Si vous voulez faire de même, [IndieWeb](https://indieweb.org/) rassemble beaucoup d’idées et
d’outils pour démarrer.""",
    },
    {
        "slug": "mes-livres-preferes-de-l-annee",
        "title": "Mes dix livres préférés de l’année",
        "language": "fr",
        "tags": ["lectures"],
        "days_ago": 130,
        "body": """Une année de lectures, surtout le soir et dans le train. Voici les dix livres qui
m’ont le plus marqué, sans ordre de préférence.

## Romans

1. *La Vie devant soi*, Romain Gary — relu, toujours aussi juste.
2. *Les Années*, Annie Ernaux — une mémoire collective en quelques images.
3. *Le Mage du Kremlin*, Giuliano da Empoli.
4. *Chanson douce*, Leïla Slimani.

## Essais

5. *Sapiens*, Yuval Noah Harari — à lire avec un crayon.
6. *La Société du spectacle*, Guy Debord — exigeant, mais étonnamment actuel.
7. *Le Ventre de Paris*… qui est un roman, je l’avoue, mais il parle surtout de cuisine.

## Bandes dessinées

8. *L’Arabe du futur*, Riad Sattouf.
9. *Le Monde sans fin*, Jancovici et Blain.
10. *Blast*, Manu Larcenet.

Vos suggestions pour l’an prochain sont les bienvenues en commentaire.""",
    },
    {
        "slug": "reparer-la-bouilloire",
        "title": "Réparer plutôt que jeter : la bouilloire",
        "language": "fr",
        "tags": ["carnet"],
        "days_ago": 190,
        "body": """La bouilloire ne chauffait plus. Avant de la jeter, j’ai passé une heure au
[Repair Café](https://www.repaircafe.org/fr/) du quartier. Verdict : un thermostat à
trois euros.

## Les étapes

1. Débrancher, évidemment, et attendre qu’elle refroidisse.
2. Dévisser le socle (quatre vis cruciformes, une cachée sous l’étiquette).
3. Tester le thermostat au multimètre : circuit ouvert, il est mort.
4. Commander la même référence, la remplacer, revisser.

Coût total : trois euros et une heure. Et le plaisir de comprendre comment fonctionne un objet
qu’on utilise tous les matins.""",
    },
    {
        "slug": "auto-heberger-son-blog-avec-django",
        "title": "Auto-héberger son blog avec Django",
        "language": "fr",
        "tags": ["numerique"],
        "days_ago": 260,
        "body": """Ce site tourne sur un petit serveur loué quelques euros par mois. Voici
l’architecture, volontairement simple.

## Les briques

- **Django** pour le site et l’administration ;
- **PostgreSQL** pour les données, avec sa recherche plein texte ;
- **Redis** et **Celery** pour envoyer la lettre sans bloquer le site ;
- **gunicorn** derrière un proxy inverse qui gère HTTPS.

## Un modèle de billet

```python
class Post(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    body = models.TextField()  # du Markdown, converti en HTML à l’enregistrement
    published_at = models.DateTimeField(default=timezone.now)
```

Le Markdown est converti une seule fois, à l’enregistrement, puis nettoyé : aucune balise
`<script>` ne peut passer. La [documentation de Django](https://docs.djangoproject.com/fr/5.2/)
est une excellente porte d’entrée.""",
    },
    {
        "slug": "trois-jours-dans-le-vercors",
        "title": "Trois jours à pied dans le Vercors",
        "language": "fr",
        "tags": ["voyages"],
        "days_ago": 400,
        "cover": "#4a6fa5",
        "body": """Trois jours, deux nuits en refuge, et des hauts plateaux où l’on ne croise
presque personne. Récit et conseils pratiques.

## Le parcours

- **Jour 1** : Corrençon-en-Vercors → refuge de la Jasse du Play (5 h).
- **Jour 2** : traversée des hauts plateaux → cabane de Pré Peyret (6 h).
- **Jour 3** : descente vers Gresse-en-Vercors (4 h).

## Dans le sac

Pas de source sur le plateau : prévoyez trois litres d’eau par personne et par jour. Un
réchaud, une carte IGN au 1:25 000 et une frontale. Les refuges non gardés ne se réservent
pas : arrivez tôt.

Le [site du parc naturel](https://example.org/vercors) publie l’état des sentiers.""",
    },
    {
        "slug": "a-week-without-a-smartphone",
        "title": "A week without a smartphone",
        "language": "en",
        "tags": ["writing"],
        "days_ago": 20,
        "body": """Last month I put my phone in a drawer for seven days. No apps, no maps, no
notifications. Here is what happened.

## The first two days

I reached for my pocket about forty times a day. Waiting for the bus felt endless. Then the
reflex faded, and I started *noticing* things: the bakery's new sign, a neighbour's garden.

## What I missed

- maps, mostly: I got lost twice and asked for directions, which was lovely;
- the camera, for the one sunset worth keeping;
- nothing else, honestly.

## What stayed

I now leave the phone at home for short walks. If you want to try, the
[Center for Humane Technology](https://www.humanetech.com/) has practical advice.""",
    },
    {
        "slug": "sourdough-the-lazy-way",
        "title": "Sourdough, the lazy way",
        "language": "en",
        "tags": ["cooking"],
        "days_ago": 55,
        "body": """Sourdough has a reputation for being fussy. It does not have to be. This is the
low-effort schedule I use on busy weeks.

## Schedule

1. **Evening**: feed the starter, then go to bed.
2. **Morning**: mix flour, water and starter; wait an hour; add salt.
3. **During the day**: fold the dough whenever you walk past, three or four times.
4. **Evening**: shape, then into the fridge overnight.
5. **Next morning**: bake straight from the fridge, 250 °C in a Dutch oven.

## Proportions

| Ingredient | Amount |
|------------|--------|
| Flour      | 500 g  |
| Water      | 360 g  |
| Starter    | 100 g  |
| Salt       | 10 g   |

The cold night does most of the work, and the flavour is better for it. The
[Perfect Loaf](https://www.theperfectloaf.com/) goes much deeper if you catch the bug.""",
    },
    {
        "slug": "self-hosting-a-small-website",
        "title": "Self-hosting a small website in 2025",
        "language": "en",
        "tags": ["tech"],
        "days_ago": 100,
        "body": """You do not need a platform to publish. A small virtual server and a few
well-understood pieces are enough for a blog read by thousands.

## The stack

- a Debian server with automatic security updates;
- PostgreSQL and Redis from the distribution's packages;
- the application behind gunicorn, behind a reverse proxy that handles TLS.

## The proxy

```nginx
server {
    listen 443 ssl;
    server_name blog.example.org;
    location / {
        proxy_pass http://127.0.0.1:8000;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-Proto $scheme;
    }
}
```

## Backups

A nightly `pg_dump` copied off the machine, and a restore test every quarter. The
[Debian handbook](https://debian-handbook.info/) covers the rest.""",
    },
    {
        "slug": "a-year-of-weekly-newsletters",
        "title": "What I learned from a year of weekly newsletters",
        "language": "en",
        "tags": ["writing"],
        "days_ago": 160,
        "body": """Fifty-two issues, sent every Sunday morning. Some were long, some were three
links and a photo. A few lessons.

## Keep it small

A newsletter you can write in an hour is a newsletter you will still write in a year. Three
sections work for me: one thing I made, one thing I read, one question.

## Own the list

Readers signed up to hear from *me*. Sending from my own site means nobody can take the list
away, change the rules or put ads in it.

## Write for one person

Every issue starts as a letter to a single friend. It reads warmer, and replies come back.

If you are starting out, [Buttondown's guide](https://buttondown.com/guides) is a good read,
whatever tool you choose.""",
    },
    {
        "slug": "balcony-tomatoes-field-guide",
        "title": "Balcony tomatoes: a short field guide",
        "language": "en",
        "tags": ["jardin"],
        "days_ago": 300,
        "body": """Tomatoes are the gateway plant of balcony gardening. A few things I wish I had
known in the first year.

## Pick the right variety

- **cherry** varieties forgive almost everything;
- **dwarf** or *determinate* plants stay compact;
- avoid the giant beefsteaks unless you enjoy disappointment.

## Water deeply, not often

Pots dry fast in July. Water in the morning, at the base, until it drains out of the bottom.
Mulch helps more than you would think.

## Feed them

A tomato fertiliser every two weeks once the first flowers appear. That is all.""",
    },
    {
        "slug": "confitures-d-automne",
        "title": "Les confitures d’automne",
        "language": "fr",
        "tags": ["cuisine"],
        "days_ago": -3,
        "body": """Coings, figues et dernières prunes : la saison des confitures commence.
Ce billet est programmé ; il paraîtra tout seul le jour venu.

## La règle d’or

Autant de sucre que de fruits pour une conservation longue, un peu moins si les pots vont au
réfrigérateur.""",
    },
    {
        "slug": "notes-on-a-slow-web",
        "title": "Notes on a slow web",
        "language": "en",
        "tags": ["tech", "writing"],
        "days_ago": 0,
        "status": "draft",
        "body": """A draft, visible only to editors through the preview.

## Ideas

- pages that load without scripts;
- feeds instead of algorithms;
- comments that are moderated, not optimised.""",
    },
]

# Approved conversations under a few posts: (post slug, [(name, email, body, [replies])]).
DEMO_COMMENTS = [
    (
        "pain-au-levain-a-la-maison",
        [
            (
                "Julien",
                "julien@example.org",
                "Merci pour la recette ! J’utilise de la T80, le goût est plus prononcé.",
                [
                    (
                        "Camille",
                        "editeur@chezsoi.local",
                        "Bonne idée, je l’essaie la semaine prochaine.",
                    ),
                ],
            ),
            (
                "Sophie",
                "sophie@example.org",
                "Combien de temps gardez-vous le levain au réfrigérateur sans le nourrir ?",
                [
                    ("Camille", "editeur@chezsoi.local", "Jusqu’à deux semaines sans souci."),
                    ("Julien", "julien@example.org", "Le mien a survécu à un mois de vacances !"),
                ],
            ),
        ],
    ),
    (
        "sauvegarder-ses-photos-sans-y-penser",
        [
            (
                "Marc",
                "marc@example.org",
                "Pensez aussi à chiffrer la copie qui part chez l’ami.",
                [("Camille", "editeur@chezsoi.local", "Très juste, j’ajoute ça au script.")],
            ),
        ],
    ),
    (
        "sourdough-the-lazy-way",
        [
            (
                "Alex",
                "alex@example.org",
                "The overnight fridge trick changed everything for me.",
                [("Camille", "editeur@chezsoi.local", "Same here, and it fits a work week.")],
            ),
            ("Priya", "priya@example.org", "Does this work with rye flour?", []),
        ],
    ),
    (
        "a-week-without-a-smartphone",
        [("Tom", "tom@example.org", "Asking for directions is underrated. Great post.", [])],
    ),
]

# Pages outside the flow of posts: slug, title, language, place in the navigation (None: not in
# it), and the Markdown body.
DEMO_PAGES = [
    {
        "slug": "a-propos",
        "title": "À propos",
        "language": "fr",
        "navigation_order": 1,
        "body": """Bonjour, je m’appelle Camille. J’écris ici depuis quelques années sur ce qui
remplit mes journées : le pain du week-end, un balcon qui se prend pour un potager, des livres
et des ordinateurs que j’essaie de garder sous mon toit.

## Pourquoi ce blog

Parce qu’un site à soi ne disparaît pas quand une plateforme change d’avis. Les billets restent
à la même adresse, les commentaires sont modérés à la main et la lettre d’information part
d’ici, sans pisteur.

## M’écrire

Un mot, une correction, une recette à partager : laissez un commentaire sous un billet, ou
répondez à la lettre d’information. Je lis tout.""",
    },
    {
        "slug": "about",
        "title": "About",
        "language": "en",
        "navigation_order": 1,
        "body": """Hello, I’m Camille. I write here about what fills my days: weekend bread, a
balcony that thinks it is a vegetable garden, books, and computers I try to keep under my own
roof.

## Why this blog

Because a site of one’s own does not vanish when a platform changes its mind. Posts stay at the
same address, comments are moderated by hand, and the newsletter leaves from here, with no
tracker.

## Getting in touch

A note, a correction, a recipe to share: leave a comment under a post, or reply to the
newsletter. I read everything.""",
    },
    {
        "slug": "mentions-legales",
        "title": "Mentions légales",
        "language": "fr",
        "navigation_order": None,
        "body": """**Éditrice du site** : Camille Martin, à titre personnel.

**Hébergement** : sur un serveur personnel, chez l’éditrice.

**Données personnelles** : les commentaires conservent le nom, l’adresse électronique et le
texte que vous saisissez ; la lettre d’information, votre adresse et votre langue. Rien n’est
transmis à des tiers, sauf le texte des commentaires, vérifié par un service anti-spam.
Pour faire effacer vos données, écrivez à l’éditrice.

**Cookies** : le site ne dépose que les cookies nécessaires à son fonctionnement (protection
des formulaires, langue choisie, session des éditeurs).""",
    },
]
