// dcmjs ships no type declarations; write-rtstruct.ts types the small part it uses.
declare module 'dcmjs';
