"""The demo's Swedish vocabulary: names, streets, towns, company and firm names, the work of each
industry, banks and the purchases employees make. Plain data; the builders draw from it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from gql_portal.domain.accounts import Industry, PayrollProgram
from gql_portal.domain.expenses import ExpenseCategory

FEMALE_NAMES = (
    "Anna Maria Eva Karin Kristina Lena Sara Emma Kerstin Ingrid Elin Sofia Linnéa Malin "
    "Johanna Hanna Ida Julia Maja Elsa Astrid Ebba Frida Camilla Jenny Therese Cecilia Annika "
    "Ulrika Helena Birgitta Marie Agnes Alice Wilma Amanda Matilda Louise Fatima Amira Leyla Nour "
    "Ewa Mirja"
).split()
MALE_NAMES = (
    "Lars Erik Johan Anders Per Karl Mikael Peter Jan Nils Oskar Gustav Lucas Liam William Elias "
    "Hugo Axel Viktor Filip Emil Jonas Magnus Fredrik Daniel Andreas Mattias Henrik Björn Sven "
    "Olof Mohammed Ali Ahmed Omar Dragan Mehmet Jesper Simon Alexander Tomas Stefan"
).split()
LAST_NAMES = (
    "Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson Gustafsson "
    "Pettersson Jonsson Jansson Hansson Bengtsson Jönsson Lindberg Jakobsson Magnusson Lindström "
    "Olofsson Lindqvist Lindgren Berg Axelsson Bergström Lundberg Lind Lundgren Lundqvist Mattsson "
    "Berglund Fredriksson Sandberg Henriksson Forsberg Sjöberg Wallin Engström Eklund Danielsson "
    "Lundin Håkansson Björk Gunnarsson Holm Samuelsson Fransson Wikström Isaksson Nyström Holmberg "
    "Arvidsson Löfgren Söderberg Nyberg Blomqvist Claesson Nordström Mårtensson Lundström Hassan "
    "Yilmaz Nguyen Ali Kovačević Virtanen"
).split()
WORDS = (
    "Linnea Kronan Ankaret Solrosen Björken Fyren Norrsken Vågen Eken Kastanjen Svanen Lärkan "
    "Tallen Kompassen Hamnen Granen Vitsippan Måsen Stjärnan Bryggan"
).split()
STREETS = (
    "Storgatan,Kungsgatan,Drottninggatan,Vasagatan,Skolgatan,Kyrkogatan,Järnvägsgatan,Parkvägen,"
    "Björkvägen,Ringvägen,Industrigatan,Tallvägen,Ekvägen,Södra vägen,Östra Långgatan,Sjögatan,"
    "Trädgårdsgatan,Nygatan,Torggatan,Hamngatan,Villavägen,Lärkvägen,Skogsvägen,Ängsvägen"
).split(",")


@dataclass(frozen=True)
class Town:
    name: str
    postal: tuple[int, int]  # first three digits of its postal codes
    tax_table: int  # roughly the municipal + regional income tax rate, rounded (approximate)
    at: tuple[float, float]  # latitude, longitude

    def km_to(self, other: Town) -> float:
        """Straight-line distance (an equirectangular approximation: fine within Sweden)."""
        mean_latitude = math.radians((self.at[0] + other.at[0]) / 2)
        north = math.radians(other.at[0] - self.at[0])
        east = math.radians(other.at[1] - self.at[1]) * math.cos(mean_latitude)
        return 6371 * math.hypot(north, east)


TOWNS = (
    Town("Stockholm", (111, 129), 30, (59.33, 18.07)),
    Town("Göteborg", (411, 426), 33, (57.71, 11.97)),
    Town("Malmö", (211, 218), 32, (55.6, 13.0)),
    Town("Uppsala", (752, 757), 33, (59.86, 17.64)),
    Town("Västerås", (721, 725), 31, (59.61, 16.55)),
    Town("Örebro", (702, 703), 33, (59.27, 15.21)),
    Town("Linköping", (582, 589), 32, (58.41, 15.62)),
    Town("Helsingborg", (252, 256), 31, (56.05, 12.69)),
    Town("Jönköping", (553, 556), 33, (57.78, 14.16)),
    Town("Norrköping", (602, 603), 33, (58.59, 16.19)),
    Town("Lund", (222, 227), 33, (55.7, 13.19)),
    Town("Umeå", (903, 907), 34, (63.83, 20.26)),
    Town("Gävle", (802, 806), 33, (60.67, 17.14)),
    Town("Borås", (503, 507), 33, (57.72, 12.94)),
    Town("Sundsvall", (852, 857), 34, (62.39, 17.31)),
    Town("Luleå", (972, 977), 34, (65.58, 22.15)),
    Town("Växjö", (352, 355), 32, (56.88, 14.81)),
    Town("Karlstad", (652, 656), 33, (59.4, 13.51)),
    Town("Östersund", (831, 832), 35, (63.18, 14.64)),
    Town("Falun", (791, 791), 34, (60.61, 15.63)),
    Town("Kalmar", (392, 393), 34, (56.66, 16.36)),
    Town("Halmstad", (302, 305), 32, (56.67, 12.86)),
    Town("Kristianstad", (291, 291), 33, (56.03, 14.16)),
    Town("Skellefteå", (931, 931), 34, (64.75, 20.95)),
    Town("Visby", (621, 621), 34, (57.64, 18.3)),
)


# Towns within a day's drive there and back (by road about 1.25 x the straight line); Visby is
# on Gotland, reached by ferry.
NEARBY = {
    town.name: [
        other
        for other in TOWNS
        if other is not town
        and 20 < town.km_to(other) < 220
        and "Visby" not in (town.name, other.name)
    ]
    for town in TOWNS
}


def genitive(name: str) -> str:
    return name if name[-1] in "sxz" else name + "s"


# Company name patterns per industry: {last}, {town}, {word}.
COMPANY_NAMES: dict[Industry, tuple[str, ...]] = {
    Industry.CONSTRUCTION: (
        "{last_gen} Bygg AB",
        "{town} Bygg & Måleri AB",
        "{last} Snickeri AB",
        "Bygg-{last} i {town} AB",
        "{town} Rör & VVS AB",
        "{last_gen} El AB",
    ),
    Industry.CONSULTING: (
        "{last} Konsult AB",
        "{town} Management AB",
        "Affärsutveckling i {town} AB",
        "{last} & Partners AB",
        "{last} Projektledning AB",
    ),
    Industry.HEALTHCARE: (
        "Hemtjänst {town} AB",
        "{town} Tandvård AB",
        "{last_gen} Fysioterapi AB",
        "Omsorg {word} i {town} AB",
    ),
    Industry.HOSPITALITY: (
        "Café {word} AB",
        "Restaurang {word} i {town} AB",
        "Hotell {word} AB",
        "{town} Pizzeria & Grill AB",
    ),
    Industry.MANUFACTURING: (
        "{town} Mekaniska Verkstad AB",
        "{last_gen} Plåt AB",
        "{word} Industri AB",
        "{town} Snickerifabrik AB",
    ),
    Industry.RETAIL: (
        "{last_gen} Livs AB",
        "{town} Cykel AB",
        "Blomsterhandeln {word} AB",
        "{town} Järnhandel AB",
    ),
    Industry.TRANSPORT: (
        "{last_gen} Åkeri AB",
        "{town} Taxi AB",
        "{town} Flytt & Transport AB",
        "Budbilen i {town} AB",
    ),
    Industry.CLEANING: (
        "{town} Städservice AB",
        "Rent & Fint i {town} AB",
        "{last_gen} Fönsterputs AB",
        "Städ-{last} AB",
    ),
    Industry.IT: (
        "{town} IT-partner AB",
        "{last} Data AB",
        "Kodverket i {town} AB",
        "{word} Software AB",
    ),
    Industry.OTHER: (
        "{town} Event AB",
        "{last_gen} Trädgård AB",
        "Kontorsservice {town} AB",
    ),
}
INDUSTRY_WEIGHTS = {
    Industry.CONSTRUCTION: 18,
    Industry.CONSULTING: 12,
    Industry.HEALTHCARE: 8,
    Industry.HOSPITALITY: 12,
    Industry.MANUFACTURING: 8,
    Industry.RETAIL: 10,
    Industry.TRANSPORT: 9,
    Industry.CLEANING: 10,
    Industry.IT: 9,
    Industry.OTHER: 4,
}
PROGRAM_WEIGHTS: dict[PayrollProgram | None, int] = {
    PayrollProgram.FORTNOX_LON: 25,
    PayrollProgram.VISMA_LON_SMART: 20,
    PayrollProgram.VISMA_LON_300: 12,
    PayrollProgram.VISMA_LON_600: 8,
    PayrollProgram.HOGIA: 10,
    PayrollProgram.CRONA: 10,
    PayrollProgram.KONTEK: 5,
    PayrollProgram.OTHER: 5,
    None: 5,
}
FIRM_NAMES = (
    "Redovisningsbyrån Demo AB",
    "Siffror & Balans Redovisning AB",
    "Norrlands Lönebyrå AB",
    "Ekonomikompaniet i {town} AB",
    "Bokslut & Lön Väst AB",
    "Kalkyl Redovisningsbyrå AB",
    "Lönekontoret i {town} AB",
    "Byrån för Redovisning {town} AB",
)


class Work(NamedTuple):
    """An industry's work: project names ({customer}, {street}, {town}), activities, and the
    comments a time entry may carry."""

    projects: tuple[str, ...]
    activities: tuple[str, ...]
    comments: tuple[str, ...]


WORK: dict[Industry, Work] = {
    Industry.CONSTRUCTION: Work(
        (
            "Renovering {street}",
            "Nybyggnation villa",
            "Badrumsrenovering {customer}",
            "Takbyte {customer}",
            "Serviceavtal {customer}",
        ),
        ("Rivning", "Stomme", "Snickeri", "Målning", "El", "Etablering", "Projektledning"),
        ("Väntade på material", "Besiktning", "Extra beställning av kund"),
    ),
    Industry.CONSULTING: Work(
        ("Affärsplan", "Förändringsledning {customer}", "Upphandlingsstöd", "Löpande rådgivning"),
        ("Analys", "Workshop", "Rapport", "Möten", "Restid"),
        ("Styrgruppsmöte", "Intervjuer", "Ändringar efter återkoppling"),
    ),
    Industry.HEALTHCARE: Work(
        ("Hemtjänst {town}", "Avtal {customer}", "Hemsjukvård"),
        ("Omvårdnad", "Dokumentation", "Restid", "Utbildning"),
        ("Ny brukare", "Extrapass"),
    ),
    Industry.HOSPITALITY: Work(
        ("Restaurangen", "Catering {customer}", "Konferens {customer}"),
        ("Kök", "Servering", "Disk", "Kassa"),
        ("Stängning", "Bokat sällskap"),
    ),
    Industry.MANUFACTURING: Work(
        ("Order {customer}", "Serietillverkning", "Prototyp {customer}"),
        ("Svetsning", "Montering", "Bearbetning", "Kvalitetskontroll"),
        ("Maskinstopp", "Omställning"),
    ),
    Industry.RETAIL: Work(
        ("Butiken", "Inventering", "Webbutik"),
        ("Kassa", "Lager", "Varupåfyllning", "Kundservice"),
        ("Leverans", "Inventering"),
    ),
    Industry.TRANSPORT: Work(
        ("Distribution {customer}", "Flytt {customer}", "Linjetrafik {town}"),
        ("Körning", "Lastning och lossning", "Fordonsvård", "Väntetid"),
        ("Köer på E4", "Fordon på service"),
    ),
    Industry.CLEANING: Work(
        ("Kontorsstäd {customer}", "Trappstäd {customer}", "Flyttstäd", "Storstäd {customer}"),
        ("Städning", "Fönsterputs", "Storstäd", "Restid"),
        ("Extra beställning", "Nyckel saknades"),
    ),
    Industry.IT: Work(
        (
            "Ny webbplats {customer}",
            "Drift och support {customer}",
            "Integration mot affärssystem",
            "App för {customer}",
        ),
        ("Utveckling", "Test", "Projektledning", "Support", "Möten"),
        ("Driftstörning", "Release", "Kodgranskning"),
    ),
    Industry.OTHER: Work(
        ("Uppdrag {customer}", "Evenemang {town}", "Löpande uppdrag"),
        ("Utförande", "Planering", "Administration"),
        ("Kundmöte",),
    ),
}
INTERNAL_ACTIVITIES = ("Administration", "Utbildning", "Interna möten")
CUSTOMER_NAMES = (
    "{last_gen} Fastigheter AB",
    "Brf {word}",
    "{town} Energi AB",
    "{last} Invest AB",
    "{word} Logistik AB",
    "{town} Bostäder AB",
    "{last_gen} Bil AB",
)
REJECTED_ABSENCE = "Krockar med en leverans till kund; välj gärna en annan vecka."

# Bank: (weight, clearing numbers, account digits); 0 digits means a Nordea personkonto
# (clearing 3300, the account is the personnummer's last ten digits).
BANKS: tuple[tuple[int, tuple[int, int], int], ...] = (
    (30, (8100, 8999), 10),  # Swedbank: five-digit clearing with check digit
    (20, (6000, 6999), 9),  # Handelsbanken
    (18, (3300, 3300), 0),  # Nordea personkonto
    (15, (5000, 5999), 7),  # SEB
    (5, (3000, 3299), 7),  # Nordea
    (4, (9270, 9279), 7),  # ICA Banken
    (5, (9020, 9029), 7),  # Länsförsäkringar
    (3, (1200, 1399), 7),  # Danske Bank
)


@dataclass(frozen=True)
class Purchase:
    category: ExpenseCategory
    items: tuple[str, ...]  # what was bought, where
    low: int
    high: int  # gross SEK
    rate: Decimal | None  # the usual VAT rate; None: the category's first rate on the date
    weight: int


PURCHASES = (
    Purchase(
        ExpenseCategory.FOOD,
        (
            "Fika till personalmöte, ICA Kvantum",
            "Livsmedel till kick-off, Coop",
            "Frukost till workshop, Willys",
            "Fika till kundmöte, Hemköp",
        ),
        80,
        900,
        None,
        20,
    ),
    Purchase(
        ExpenseCategory.TRAVEL,
        (
            "Tågbiljett till kund, SJ",
            "Regionaltåg, Västtrafik",
            "Taxi till kundmöte, Taxi Kurir",
            "Flyg till Stockholm, SAS",
            "Buss, Skånetrafiken",
        ),
        120,
        2400,
        Decimal("6"),  # passenger transport
        14,
    ),
    Purchase(
        ExpenseCategory.PARKING,
        ("Parkering vid kund, EasyPark", "Parkering, Aimo Park", "Parkeringshus, Q-Park"),
        20,
        260,
        Decimal("25"),
        14,
    ),
    Purchase(
        ExpenseCategory.FUEL,
        ("Drivmedel, Circle K", "Diesel, Preem", "Bensin, OKQ8", "Diesel, St1"),
        400,
        1300,
        Decimal("25"),
        10,
    ),
    Purchase(
        ExpenseCategory.OFFICE_SUPPLIES,
        (
            "Kontorsmaterial, Clas Ohlson",
            "Skrivarpatroner, Staples",
            "USB-hubb, Kjell & Company",
            "Headset, Dustin",
        ),
        49,
        1500,
        Decimal("25"),
        12,
    ),
    Purchase(
        ExpenseCategory.ACCOMMODATION,
        ("Hotell, en natt, Scandic", "Hotell, Elite Hotels", "Hotell, Clarion"),
        900,
        2200,
        Decimal("12"),
        6,
    ),
    Purchase(
        ExpenseCategory.BOOKS_NEWSPAPERS,
        ("Facklitteratur, Adlibris", "Handbok, Bokus", "Branschtidning, Akademibokhandeln"),
        150,
        700,
        Decimal("6"),
        4,
    ),
    Purchase(
        ExpenseCategory.REPRESENTATION,
        ("Kundlunch, Restaurang Tranan", "Middag med kund, Pinchos", "Kundlunch, Max"),
        300,
        2800,
        Decimal("12"),
        6,
    ),
    Purchase(
        ExpenseCategory.OTHER,
        ("Skyddsskor, Ahlsell", "Arbetshandskar, Biltema", "Arbetskläder, Jula"),
        150,
        1500,
        Decimal("25"),
        8,
    ),
)
PURCHASE_WEIGHTS = tuple(purchase.weight for purchase in PURCHASES)
REJECTIONS = (
    "Kvitto saknas eller går inte att läsa",
    "Privat kostnad, ersätts inte",
    "Redan registrerat som ett annat utlägg",
)
MISSING_RECEIPT = REJECTIONS[0]
