"""Common English given-name nicknames, so "bill" finds William and "william" finds Bill.

Each group is a formal name and its usual short forms, all folded (see folding.fold).
A name may be in more than one group ("ted" is short for Edward and for Theodore).
Two names are equivalent when some group contains both.
"""

from functools import cache

NICKNAME_GROUPS: tuple[tuple[str, ...], ...] = (
    ("abigail", "abby", "gail"),
    ("abraham", "abe"),
    ("alexander", "alex", "al", "xander", "sandy"),
    ("alexandra", "alex", "alexa", "sandra", "sandy", "lexi"),
    ("albert", "al", "bert"),
    ("alfred", "al", "alfie", "fred"),
    ("allison", "ally", "allie"),
    ("andrew", "andy", "drew"),
    ("angela", "angie"),
    ("anthony", "tony"),
    ("arthur", "art"),
    ("barbara", "barb", "babs"),
    ("benjamin", "ben", "benny", "benji"),
    ("bradley", "brad"),
    ("calvin", "cal"),
    ("catherine", "cathy", "kate", "katie", "cat"),
    ("charles", "charlie", "chuck", "chas"),
    ("charlotte", "charlie", "lottie"),
    ("christina", "chris", "tina", "christy"),
    ("christine", "chris", "tina", "christy"),
    ("christopher", "chris", "kit", "topher"),
    ("cynthia", "cindy"),
    ("daniel", "dan", "danny"),
    ("david", "dave", "davey"),
    ("deborah", "deb", "debbie"),
    ("dennis", "denny"),
    ("donald", "don", "donnie"),
    ("dorothy", "dot", "dottie", "dolly"),
    ("douglas", "doug"),
    ("edward", "ed", "eddie", "ted", "ned"),
    ("eleanor", "ellie", "nell", "nora"),
    ("elizabeth", "liz", "lizzie", "beth", "betty", "eliza", "libby", "betsy"),
    ("emily", "em", "emmy"),
    ("eugene", "gene"),
    ("frances", "fran", "frannie"),
    ("francis", "frank", "fran"),
    ("frederick", "fred", "freddie"),
    ("gabriel", "gabe"),
    ("gerald", "gerry", "jerry"),
    ("gregory", "greg"),
    ("harold", "hal", "harry"),
    ("henry", "hank", "harry"),
    ("jacob", "jake"),
    ("james", "jim", "jimmy", "jamie"),
    ("janet", "jan"),
    ("jeffrey", "jeff"),
    ("jennifer", "jen", "jenny"),
    ("jessica", "jess", "jessie"),
    ("johnathan", "john", "johnny", "jon"),
    ("jonathan", "jon", "jonny", "john"),
    ("john", "jack", "johnny"),
    ("joseph", "joe", "joey"),
    ("joshua", "josh"),
    ("judith", "judy"),
    ("katherine", "kate", "kathy", "katie", "kat", "kay"),
    ("kathleen", "kathy", "kate", "katie"),
    ("kenneth", "ken", "kenny"),
    ("kimberly", "kim"),
    ("lawrence", "larry"),
    ("leonard", "leo", "len", "lenny"),
    ("louis", "lou"),
    ("margaret", "maggie", "meg", "peggy", "marge", "greta"),
    ("matthew", "matt"),
    ("megan", "meg"),
    ("melissa", "missy", "mel"),
    ("michael", "mike", "mikey", "mick"),
    ("michelle", "shelly", "mickey"),
    ("nathan", "nate"),
    ("nathaniel", "nate", "nat"),
    ("nicholas", "nick", "nicky"),
    ("nicole", "nikki", "nicky"),
    ("pamela", "pam"),
    ("patricia", "pat", "patty", "trish", "tricia"),
    ("patrick", "pat", "paddy"),
    ("peter", "pete"),
    ("philip", "phil"),
    ("phillip", "phil"),
    ("raymond", "ray"),
    ("rebecca", "becky", "becca"),
    ("richard", "rick", "dick", "rich", "richie", "ricky"),
    ("robert", "bob", "bobby", "rob", "robbie", "bert"),
    ("ronald", "ron", "ronnie"),
    ("russell", "russ"),
    ("samantha", "sam", "sammy"),
    ("samuel", "sam", "sammy"),
    ("sandra", "sandy"),
    ("stephen", "steve", "stevie"),
    ("steven", "steve", "stevie"),
    ("susan", "sue", "susie"),
    ("suzanne", "sue", "suzy"),
    ("theodore", "ted", "teddy", "theo"),
    ("thomas", "tom", "tommy"),
    ("timothy", "tim", "timmy"),
    ("valerie", "val"),
    ("victoria", "vicky", "tori"),
    ("vincent", "vince", "vinny"),
    ("virginia", "ginny", "ginger"),
    ("walter", "walt", "wally"),
    ("william", "bill", "billy", "will", "willie", "liam"),
    ("zachary", "zach", "zack"),
)


@cache
def _groups_by_name() -> dict[str, tuple[tuple[str, ...], ...]]:
    index: dict[str, list[tuple[str, ...]]] = {}
    for group in NICKNAME_GROUPS:
        for name in group:
            index.setdefault(name, []).append(group)
    return {name: tuple(groups) for name, groups in index.items()}


def equivalents(folded_name: str) -> frozenset[str]:
    """Return the names equivalent to `folded_name`, without the name itself.

    `folded_name` must already be folded; unknown names return an empty set.
    """
    groups = _groups_by_name().get(folded_name, ())
    return frozenset(name for group in groups for name in group) - {folded_name}
